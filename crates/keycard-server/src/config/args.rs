//! One layer of configuration: every setting optional. The same struct is the command
//! line (clap reads the flag, then its `KEYCARD_*` environment variable) and the TOML file
//! (serde, unknown keys refused), so a setting cannot exist in one source and not another.
//! The struct is declared through `layer!`, which also writes [`ServeArgs::over`] from
//! the same field list: adding a setting is one field here, one line where its group is
//! resolved (settings.rs), and its row in docs/CONFIG.md (a test checks the doc lists
//! every flag).

use std::net::SocketAddr;
use std::path::PathBuf;

use keycard_auth::settings::{Clients, Mode, Revocation, Seconds, Secret};
use serde::Deserialize;

use super::values::{AlgorithmName, StoreUrlArg, TrustedProxies};

/// Declares a layer struct whose fields are all `Option`s, and its merge: each setting
/// from the higher layer if it has one, else from the lower.
macro_rules! layer {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$field_meta:meta])* pub $field:ident : Option<$ty:ty>, )*
        }
    ) => {
        $(#[$meta])*
        pub struct $name {
            $( $(#[$field_meta])* pub $field: Option<$ty>, )*
        }

        impl $name {
            /// This layer over `lower`: each setting from `self` if it has one, else from
            /// `lower`.
            #[must_use]
            pub fn over(self, lower: Self) -> Self {
                Self {
                    $( $field: self.$field.or(lower.$field), )*
                }
            }
        }
    };
}

layer! {

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
    #[arg(long, env = "KEYCARD_MODE", value_name = "session|jwt|hybrid")]
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

    /// How long the previous refresh token still returns the same successor [default: 10s].
    #[arg(long, env = "KEYCARD_REFRESH_GRACE", value_name = "DURATION")]
    pub refresh_grace: Option<Seconds>,

    /// Whether revoking a session stops its access tokens at once [default: on].
    #[arg(long, env = "KEYCARD_REVOCATION", value_name = "on|off")]
    pub revocation: Option<Revocation>,

    /// How long the instance may go without hearing from its revocation feed before it
    /// stops trusting its in-memory revocations: past it, bearer tokens are checked against
    /// the store (503 if it does not answer) and `/readyz` answers 503 [default: 2s].
    #[arg(long, env = "KEYCARD_REVOCATION_STALENESS", value_name = "DURATION")]
    pub revocation_staleness: Option<Seconds>,

    /// Clock skew allowed when checking exp, nbf and iat [default: 30s].
    #[arg(long, env = "KEYCARD_LEEWAY", value_name = "DURATION")]
    pub leeway: Option<Seconds>,

    /// Largest token accepted, checked before any decoding [default: 8192].
    #[arg(long, env = "KEYCARD_MAX_TOKEN_BYTES", value_name = "BYTES")]
    pub max_token_bytes: Option<usize>,

    /// Largest request body accepted; larger ones get 413 [default: 65536].
    #[arg(long, env = "KEYCARD_BODY_LIMIT", value_name = "BYTES")]
    pub body_limit: Option<usize>,

    /// How long a client may take to send a request's headers before its connection is
    /// closed (against slow-headers clients) [default: 10s].
    #[arg(long, env = "KEYCARD_HEADER_READ_TIMEOUT", value_name = "DURATION")]
    pub header_read_timeout: Option<Seconds>,

    /// How long a request's body may take to arrive whole, from its headers; past it the
    /// answer is 408 and the connection is closed (against slow-body clients) [default: 10s].
    #[arg(long, env = "KEYCARD_BODY_READ_TIMEOUT", value_name = "DURATION")]
    pub body_read_timeout: Option<Seconds>,

    /// How long a connection may be silent in both directions before it is closed; keep it
    /// above a load balancer's own keep-alive timeout [default: 75s].
    #[arg(long, env = "KEYCARD_IDLE_TIMEOUT", value_name = "DURATION")]
    pub idle_timeout: Option<Seconds>,

    /// Connections served at once; past it, new ones wait in the listen backlog. Keep it
    /// below the process's open-file limit (`ulimit -n`) [default: 1000].
    #[arg(long, env = "KEYCARD_MAX_CONNECTIONS", value_name = "N")]
    pub max_connections: Option<usize>,

    /// Connections one client address (IPv4, or IPv6 /64) may hold at once; past it a new
    /// one is closed when accepted. Trusted proxies are not counted; 0 turns the limit off
    /// [default: a tenth of `max_connections`, 100].
    #[arg(long, env = "KEYCARD_MAX_CONNECTIONS_PER_ADDRESS", value_name = "N")]
    pub max_connections_per_address: Option<usize>,

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

    /// Addresses (CIDR list, e.g. `10.0.0.0/8,127.0.0.1/32`) of reverse proxies whose
    /// `Forwarded` / `X-Forwarded-For` headers are believed; the client is the rightmost
    /// address not in the list [default: none, the connection's peer is the client].
    #[arg(long, env = "KEYCARD_TRUSTED_PROXIES", value_name = "CIDR,...")]
    pub trusted_proxies: Option<TrustedProxies>,

    /// How long the active signing key signs before the next one takes over; the next key
    /// is published at least a JWKS max-age before [default: 30d].
    #[arg(long, env = "KEYCARD_SIGNING_KEY_ROTATION", value_name = "DURATION")]
    pub signing_key_rotation: Option<Seconds>,

    /// Times one rotation's successor is handed out again within the grace window; one
    /// more is reuse [default: 3].
    #[arg(long, env = "KEYCARD_REFRESH_REPLAYS", value_name = "N")]
    pub refresh_replays: Option<u32>,

    /// Live sessions one user may hold; a login past it ends the oldest (0: no cap)
    /// [default: 50].
    #[arg(long, env = "KEYCARD_MAX_SESSIONS_PER_USER", value_name = "N")]
    pub max_sessions_per_user: Option<u32>,

    /// Successful logins allowed per client address per `login_limit_window`; 0 turns the
    /// limit off [default: 100].
    #[arg(long, env = "KEYCARD_LOGIN_SUCCESS_LIMIT_PER_IP", value_name = "N")]
    pub login_success_limit_per_ip: Option<u32>,

    /// Registrations allowed per client address per `login_limit_window`; 0 turns the
    /// limit off [default: 10].
    #[arg(long, env = "KEYCARD_REGISTRATION_LIMIT_PER_IP", value_name = "N")]
    pub registration_limit_per_ip: Option<u32>,

    /// Requests that may wait for a password-hashing slot; beyond, 503 [default: 64].
    #[arg(long, env = "KEYCARD_HASH_QUEUE", value_name = "N")]
    pub hash_queue: Option<usize>,

    /// How long a request may wait for a password-hashing slot; beyond, 503 [default: 5s].
    #[arg(long, env = "KEYCARD_HASH_DEADLINE", value_name = "DURATION")]
    pub hash_deadline: Option<Seconds>,

    /// Verified access tokens each instance remembers, so a repeated token costs no
    /// signature check; 0 turns the cache off [default: 100000].
    #[arg(long, env = "KEYCARD_TOKEN_CACHE_SIZE", value_name = "N")]
    pub token_cache_size: Option<usize>,

    /// Sessions each instance remembers, kept true by the revocation feed; 0 turns the
    /// cache off [default: 100000].
    #[arg(long, env = "KEYCARD_SESSION_CACHE_SIZE", value_name = "N")]
    pub session_cache_size: Option<usize>,

    /// Users each instance remembers; 0 turns the cache off [default: 100000].
    #[arg(long, env = "KEYCARD_USER_CACHE_SIZE", value_name = "N")]
    pub user_cache_size: Option<usize>,

    /// How long a user is remembered; 0 turns the cache off [default: 30s].
    #[arg(long, env = "KEYCARD_USER_CACHE_TTL", value_name = "DURATION")]
    pub user_cache_ttl: Option<Seconds>,
}
}

impl ServeArgs {
    /// Parses a TOML file's text. Unknown keys are refused, naming the key.
    pub fn from_toml(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }
}
