//! The resolved configuration: every setting present, defaults applied, checked once at
//! start-up. Each error names the setting (its TOML key; the flag is the same with dashes).
//!
//! The settings are grouped by what they govern: the server's own (address, data
//! directory, body limit, connection limits, trusted proxies), the stores, the master key, and the auth
//! service's ([`AuthSettings`]: tokens, sessions, limits, hashing, admin token, clients).
//! Each group is resolved by one function below.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use keycard_auth::settings::{
    AuthSettings, CacheSettings, HashSettings, LimitSettings, Seconds, Secret, SessionSettings,
    SettingError, TokenSettings, defaults as auth_defaults,
};
use keycard_core::Algorithm;
use keycard_core::jose::base64url;
use keycard_core::key_record::MasterKey;
use keycard_store::open::StoreUrl;

use super::args::ServeArgs;
use super::values::TrustedProxies;
use crate::connections::{Connections, PerAddress};

/// Why the settings cannot be used. The message names the setting.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A setting has a value the server refuses.
    #[error("setting `{setting}`: {message}")]
    Invalid {
        /// The setting's TOML key.
        setting: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The TOML file could not be read or parsed (unknown keys included).
    #[error("config file {path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong, with the key and line when the parser knows them.
        message: String,
    },
}

impl From<SettingError> for ConfigError {
    fn from(error: SettingError) -> Self {
        Self::Invalid {
            setting: error.setting,
            message: error.message,
        }
    }
}

fn invalid(setting: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        setting,
        message: message.into(),
    }
}

/// The connection limits, checked.
fn connections(args: &ServeArgs) -> Result<Connections, ConfigError> {
    let header_read_timeout = args
        .header_read_timeout
        .map_or(defaults::HEADER_READ_TIMEOUT_SECS, Seconds::get);
    if !(1..=300).contains(&header_read_timeout) {
        return Err(invalid("header_read_timeout", "must be 1s to 5m"));
    }
    let idle_timeout = args
        .idle_timeout
        .map_or(defaults::IDLE_TIMEOUT_SECS, Seconds::get);
    if !(1..=3600).contains(&idle_timeout) {
        return Err(invalid("idle_timeout", "must be 1s to 1h"));
    }
    let max_connections = args.max_connections.unwrap_or(defaults::MAX_CONNECTIONS);
    if !(1..=1_000_000).contains(&max_connections) {
        return Err(invalid("max_connections", "must be 1 to 1000000"));
    }
    let per_address = args
        .max_connections_per_address
        .unwrap_or((max_connections / defaults::SLOTS_PER_ADDRESS_DIVISOR).max(1));
    if per_address > max_connections {
        return Err(invalid(
            "max_connections_per_address",
            "must be 0 (no limit) to max_connections",
        ));
    }
    Ok(Connections {
        header_read_timeout: Duration::from_secs(header_read_timeout),
        idle_timeout: Duration::from_secs(idle_timeout),
        max_connections,
        per_address: PerAddress {
            max: per_address,
            exempt: args.trusted_proxies.clone().unwrap_or_default(),
        },
    })
}

/// The server's settings, resolved and checked. `Debug` hides secrets and store passwords.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Settings {
    /// The address to listen on (after binding: the address actually bound).
    pub addr: SocketAddr,
    /// The directory for the SQLite file and key files.
    pub data_dir: PathBuf,
    /// Largest request body accepted.
    pub body_limit: usize,
    /// How long a request body may take to arrive whole.
    pub body_read_timeout: Duration,
    /// The limits on connections: header read timeout, connections at once.
    pub connections: Connections,
    /// Reverse proxies whose forwarded-address headers are believed.
    pub trusted_proxies: TrustedProxies,
    /// Where users, keys, audit, sessions and revocations live.
    pub stores: StoreSettings,
    /// Seals private keys at rest, when configured.
    pub master_key: Option<Secret>,
    /// The auth service's settings.
    pub auth: AuthSettings,
    issuer_from_addr: bool,
    audience_from_issuer: bool,
}

/// Where state lives.
#[derive(Clone, Debug)]
pub struct StoreSettings {
    /// Users, keys and audit.
    pub user_store: StoreUrl,
    /// Sessions, refresh families and revocations.
    pub session_store: StoreUrl,
    /// Prefix of every Redis key.
    pub redis_prefix: String,
}

/// The server's own defaults, as docs/CONFIG.md lists them; the auth service's are in
/// [`keycard_auth::settings::defaults`].
pub mod defaults {
    /// Loopback only: exposing the server is a decision.
    pub const ADDR: &str = "127.0.0.1:8080";
    /// Relative to the working directory.
    pub const DATA_DIR: &str = "./keycard-data";
    /// The SQLite file's name in the data dir.
    pub const SQLITE_FILE: &str = "keycard.sqlite3";
    /// Prefix of Redis keys.
    pub const REDIS_PREFIX: &str = "keycard";
    /// 64 KiB: JSON bodies of this API are a few hundred bytes.
    pub const BODY_LIMIT: usize = 64 * 1024;
    /// Seconds a client may take to send a request's body, once its headers are in: the
    /// bodies of this API are a few hundred bytes.
    pub const BODY_READ_TIMEOUT_SECS: u64 = 10;
    /// Seconds a client may take to send a request's headers.
    pub const HEADER_READ_TIMEOUT_SECS: u64 = 10;
    /// Seconds a connection may be silent: above the 60 s idle timeout of common load
    /// balancers, so that they close first (a server closing first races their reuse).
    pub const IDLE_TIMEOUT_SECS: u64 = 75;
    /// Connections served at once: below the usual open-file limit of 1024.
    pub const MAX_CONNECTIONS: usize = 1000;
    /// Connections one client address may hold by default: `max_connections` divided by
    /// this (at least 1), so 100 of the default 1000: far more than a browser opens (6 per
    /// host over HTTP/1), room for dozens of browsers behind one NAT.
    pub const SLOTS_PER_ADDRESS_DIVISOR: usize = 10;
}

impl Settings {
    /// Resolves one layer (already merged: flags over environment over file) into settings.
    pub fn resolve(args: ServeArgs) -> Result<Self, ConfigError> {
        Self::from_layers([args])
    }

    /// Resolves layers, highest precedence first: each setting comes from the first layer
    /// that has it, else from its default.
    pub fn from_layers(layers: impl IntoIterator<Item = ServeArgs>) -> Result<Self, ConfigError> {
        let args = layers
            .into_iter()
            .reduce(ServeArgs::over)
            .unwrap_or_default();
        let addr = match args.addr {
            Some(addr) => addr,
            None => defaults::ADDR
                .parse()
                .map_err(|_| invalid("addr", "bad default"))?,
        };
        let data_dir = args
            .data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(defaults::DATA_DIR));
        if data_dir.as_os_str().is_empty() {
            return Err(invalid("data_dir", "must not be empty"));
        }
        let body_limit = args.body_limit.unwrap_or(defaults::BODY_LIMIT);
        if !(1024..=64 * 1024 * 1024).contains(&body_limit) {
            return Err(invalid("body_limit", "must be 1024 to 67108864 bytes"));
        }
        let body_read_timeout = args
            .body_read_timeout
            .map_or(defaults::BODY_READ_TIMEOUT_SECS, Seconds::get);
        if !(1..=300).contains(&body_read_timeout) {
            return Err(invalid("body_read_timeout", "must be 1s to 5m"));
        }
        let connections = connections(&args)?;
        let settings = Self {
            connections,
            stores: stores(&args, &data_dir)?,
            auth: auth(&args, addr)?,
            addr,
            data_dir,
            body_limit,
            body_read_timeout: Duration::from_secs(body_read_timeout),
            trusted_proxies: args.trusted_proxies.unwrap_or_default(),
            master_key: args.master_key,
            issuer_from_addr: args.issuer.is_none(),
            audience_from_issuer: args.audience.is_none(),
        };
        settings.master_key()?;
        Ok(settings)
    }

    /// The master key, decoded: 32 bytes of base64url.
    pub fn master_key(&self) -> Result<Option<MasterKey>, ConfigError> {
        let Some(secret) = &self.master_key else {
            return Ok(None);
        };
        let bytes = zeroize::Zeroizing::new(
            base64url::decode(secret.expose())
                .ok_or_else(|| invalid("master_key", "is not unpadded base64url"))?,
        );
        MasterKey::new(&bytes).map(Some).map_err(|_| {
            invalid(
                "master_key",
                "must be 32 bytes (`keycard secret --bytes 32`)",
            )
        })
    }

    /// These settings once the listener is bound to `bound` (port 0 picks one): the issuer
    /// and audience follow the real address unless they were configured.
    #[must_use]
    pub fn bound_to(mut self, bound: SocketAddr) -> Self {
        self.addr = bound;
        if self.issuer_from_addr {
            self.auth.issuer = format!("http://{bound}");
            if self.audience_from_issuer {
                self.auth.audience.clone_from(&self.auth.issuer);
            }
        }
        self
    }

    /// The public URL of a path on this server, under the issuer.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.auth.issuer)
    }
}

/// The stores: one URL for everything, or a second for sessions and revocations.
fn stores(args: &ServeArgs, data_dir: &Path) -> Result<StoreSettings, ConfigError> {
    let user_store = args
        .user_store
        .clone()
        .or_else(|| args.store.clone())
        .map_or_else(
            || StoreUrl::Sqlite(data_dir.join(defaults::SQLITE_FILE)),
            |url| url.0,
        );
    if matches!(user_store, StoreUrl::Redis(_) | StoreUrl::RedisCluster(_)) {
        return Err(invalid(
            "user_store",
            "users, keys and audit need an SQL store (sqlite:// or postgres://); Redis can hold only sessions",
        ));
    }
    let session_store = args
        .session_store
        .clone()
        .map_or_else(|| user_store.clone(), |url| url.0);
    let redis_prefix = args
        .redis_prefix
        .clone()
        .unwrap_or_else(|| defaults::REDIS_PREFIX.to_owned());
    if redis_prefix.is_empty() {
        return Err(invalid("redis_prefix", "must not be empty"));
    }
    Ok(StoreSettings {
        user_store,
        session_store,
        redis_prefix,
    })
}

/// The auth service's settings, each group from its flags; checked by the service's own
/// rules.
fn auth(args: &ServeArgs, addr: SocketAddr) -> Result<AuthSettings, ConfigError> {
    let issuer = match &args.issuer {
        Some(issuer) => check_issuer(issuer)?,
        None => format!("http://{addr}"),
    };
    let mut auth = AuthSettings::new(issuer);
    if let Some(audience) = &args.audience {
        auth.audience.clone_from(audience);
    }
    if let Some(mode) = args.mode {
        auth.mode = mode;
    }
    let d = auth.tokens;
    auth.tokens = TokenSettings {
        signing_algorithm: args
            .signing_algorithm
            .map_or(Algorithm::EdDSA, |name| name.0),
        signing_key_rotation: args.signing_key_rotation.unwrap_or(d.signing_key_rotation),
        access_token_lifetime: args
            .access_token_lifetime
            .unwrap_or(d.access_token_lifetime),
        leeway: args.leeway.unwrap_or(d.leeway),
        max_token_bytes: args.max_token_bytes.unwrap_or(d.max_token_bytes),
        revocation: args.revocation.unwrap_or(d.revocation),
        revocation_staleness: args.revocation_staleness.unwrap_or(d.revocation_staleness),
    };
    let d = auth.sessions;
    auth.sessions = SessionSettings {
        refresh_token_lifetime: args
            .refresh_token_lifetime
            .unwrap_or(d.refresh_token_lifetime),
        idle_timeout: args.session_idle_timeout.unwrap_or(d.idle_timeout),
        absolute_timeout: args.session_absolute_timeout.unwrap_or(d.absolute_timeout),
        refresh_grace: args.refresh_grace.unwrap_or(d.refresh_grace),
        refresh_replays: args.refresh_replays.unwrap_or(d.refresh_replays),
        max_per_user: args.max_sessions_per_user.unwrap_or(d.max_per_user),
    };
    auth.limits = LimitSettings {
        login_per_account: args
            .login_limit_per_account
            .unwrap_or(auth_defaults::LOGIN_LIMIT_PER_ACCOUNT),
        login_failures_per_ip: args
            .login_limit_per_ip
            .unwrap_or(auth_defaults::LOGIN_LIMIT_PER_IP),
        login_successes_per_ip: args
            .login_success_limit_per_ip
            .unwrap_or(auth_defaults::LOGIN_SUCCESS_LIMIT_PER_IP),
        registrations_per_ip: args
            .registration_limit_per_ip
            .unwrap_or(auth_defaults::REGISTRATION_LIMIT_PER_IP),
        window: args
            .login_limit_window
            .unwrap_or(auth_defaults::LIMIT_WINDOW),
        max_entries: auth_defaults::LIMIT_MAX_ENTRIES,
    };
    auth.hashing = HashSettings {
        queue: args.hash_queue.unwrap_or(auth_defaults::HASH_QUEUE),
        deadline: args.hash_deadline.unwrap_or(auth_defaults::HASH_DEADLINE),
    };
    auth.caches = CacheSettings {
        tokens: args
            .token_cache_size
            .unwrap_or(auth_defaults::TOKEN_CACHE_SIZE),
        sessions: args
            .session_cache_size
            .unwrap_or(auth_defaults::SESSION_CACHE_SIZE),
        users: args
            .user_cache_size
            .unwrap_or(auth_defaults::USER_CACHE_SIZE),
        user_ttl: args.user_cache_ttl.unwrap_or(auth_defaults::USER_CACHE_TTL),
    };
    auth.admin_token.clone_from(&args.admin_token);
    auth.clients = args.clients.clone().unwrap_or_default();
    auth.check()?;
    Ok(auth)
}

/// An issuer is an absolute http(s) URL with a host, no query, fragment or credentials;
/// the trailing slash goes. Parsed by the `url` crate, so the origin the CSRF check derives
/// from it is the one browsers send.
fn check_issuer(issuer: &str) -> Result<String, ConfigError> {
    let issuer = issuer.trim().trim_end_matches('/');
    let url = url::Url::parse(issuer)
        .map_err(|error| invalid("issuer", format!("is not a URL: {error}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("issuer", "must be an http:// or https:// URL"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("issuer", "must name a host"));
    }
    if url.query().is_some() || url.fragment().is_some() || issuer.contains(' ') {
        return Err(invalid("issuer", "must have no query, fragment or spaces"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("issuer", "must not carry credentials"));
    }
    Ok(issuer.to_owned())
}
