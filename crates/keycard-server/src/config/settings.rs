//! The resolved configuration: every setting present, defaults applied, checked once at
//! start-up. Each error names the setting (its TOML key; the flag is the same with dashes).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use keycard_core::Algorithm;
use keycard_core::jose::{Family, base64url};
use keycard_core::key_record::MasterKey;
use keycard_store::open::StoreUrl;

use super::args::ServeArgs;
use super::values::{Clients, Mode, Revocation, Seconds, Secret};

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

fn invalid(setting: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        setting,
        message: message.into(),
    }
}

/// The server's settings, resolved and checked. `Debug` hides secrets and store passwords.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Settings {
    /// Where auth state lives.
    pub mode: Mode,
    /// The address to listen on (after binding: the address actually bound).
    pub addr: SocketAddr,
    /// The directory for the SQLite file and key files.
    pub data_dir: PathBuf,
    /// Users, keys and audit.
    pub user_store: StoreUrl,
    /// Sessions, refresh families and revocations.
    pub session_store: StoreUrl,
    /// Prefix of every Redis key.
    pub redis_prefix: String,
    /// The `iss` of every token and the public base URL, without a trailing slash.
    pub issuer: String,
    /// The `aud` of access tokens.
    pub audience: String,
    /// The algorithm new signing keys are generated for.
    pub signing_algorithm: Algorithm,
    /// Lifetime of an access JWT.
    pub access_token_lifetime: Seconds,
    /// Lifetime of a refresh family.
    pub refresh_token_lifetime: Seconds,
    /// Idle timeout of a cookie session.
    pub session_idle_timeout: Seconds,
    /// Absolute timeout of a cookie session.
    pub session_absolute_timeout: Seconds,
    /// Grace window of refresh rotation.
    pub refresh_grace: Seconds,
    /// Whether revocations are enforced.
    pub revocation: Revocation,
    /// Clock skew allowed in token validation.
    pub leeway: Seconds,
    /// Largest token accepted.
    pub max_token_bytes: usize,
    /// Largest request body accepted.
    pub body_limit: usize,
    /// Seals private keys at rest, when configured.
    pub master_key: Option<Secret>,
    /// Bearer token for the admin routes, when configured.
    pub admin_token: Option<Secret>,
    /// Clients of the introspection and revocation endpoints (none: both answer 401).
    pub clients: Clients,
    /// Login attempts per account per window (0: off).
    pub login_limit_per_account: u32,
    /// Failed login attempts per client address per window (0: off).
    pub login_limit_per_ip: u32,
    /// The window of the login limits.
    pub login_limit_window: Seconds,
    issuer_from_addr: bool,
    audience_from_issuer: bool,
}

/// The defaults, as docs/CONFIG.md lists them.
pub mod defaults {
    use super::{Mode, Revocation, Seconds};

    /// Hybrid: lookup-free access tokens with rotating refresh tokens.
    pub const MODE: Mode = Mode::Hybrid;
    /// Loopback only: exposing the server is a decision.
    pub const ADDR: &str = "127.0.0.1:8080";
    /// Relative to the working directory.
    pub const DATA_DIR: &str = "./keycard-data";
    /// The SQLite file's name in the data dir.
    pub const SQLITE_FILE: &str = "keycard.sqlite3";
    /// Prefix of Redis keys.
    pub const REDIS_PREFIX: &str = "keycard";
    /// 15 minutes.
    pub const ACCESS_TOKEN_LIFETIME: Seconds = Seconds::new(15 * 60);
    /// 30 days.
    pub const REFRESH_TOKEN_LIFETIME: Seconds = Seconds::new(30 * 86_400);
    /// 30 minutes (OWASP: 15 to 30 minutes for most applications).
    pub const SESSION_IDLE_TIMEOUT: Seconds = Seconds::new(30 * 60);
    /// 12 hours: a working day.
    pub const SESSION_ABSOLUTE_TIMEOUT: Seconds = Seconds::new(12 * 3600);
    /// 30 seconds (DESIGN.md, refresh rotation).
    pub const REFRESH_GRACE: Seconds = Seconds::new(30);
    /// Revocation on.
    pub const REVOCATION: Revocation = Revocation::On;
    /// 30 seconds.
    pub const LEEWAY: Seconds = Seconds::new(30);
    /// 8 KiB.
    pub const MAX_TOKEN_BYTES: usize = 8192;
    /// 64 KiB: JSON bodies of this API are a few hundred bytes.
    pub const BODY_LIMIT: usize = 64 * 1024;
    /// 5 attempts per account per window: a person who mistypes gets five tries, then one
    /// every 3 minutes; a guesser gets 20 an hour (docs/CONFIG.md, "Login limits").
    pub const LOGIN_LIMIT_PER_ACCOUNT: u32 = 5;
    /// 50 failures per address per window: ten people behind one NAT each mistyping five
    /// times, while one host spraying a common password gets 200 accounts an hour.
    pub const LOGIN_LIMIT_PER_IP: u32 = 50;
    /// 15 minutes.
    pub const LOGIN_LIMIT_WINDOW: Seconds = Seconds::new(15 * 60);
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
            .unwrap_or_else(|| PathBuf::from(defaults::DATA_DIR));
        if data_dir.as_os_str().is_empty() {
            return Err(invalid("data_dir", "must not be empty"));
        }
        let user_store = args
            .user_store
            .or(args.store)
            .map_or_else(|| default_store(&data_dir), |url| url.0);
        if matches!(user_store, StoreUrl::Redis(_) | StoreUrl::RedisCluster(_)) {
            return Err(invalid(
                "user_store",
                "users, keys and audit need an SQL store (sqlite:// or postgres://); Redis can hold only sessions",
            ));
        }
        let session_store = args
            .session_store
            .map_or_else(|| user_store.clone(), |url| url.0);

        let issuer_from_addr = args.issuer.is_none();
        let issuer = match args.issuer {
            Some(issuer) => check_issuer(&issuer)?,
            None => format!("http://{addr}"),
        };
        let audience_from_issuer = args.audience.is_none();
        let audience = args.audience.unwrap_or_else(|| issuer.clone());
        if audience.trim().is_empty() {
            return Err(invalid("audience", "must not be empty"));
        }

        let signing_algorithm = args
            .signing_algorithm
            .map_or(Algorithm::EdDSA, |name| name.0);
        if signing_algorithm.family() == Family::Hmac {
            return Err(invalid(
                "signing_algorithm",
                format!(
                    "{signing_algorithm} is a shared secret, and the server publishes its keys in a JWKS: choose EdDSA, ES256, RS256 or PS256"
                ),
            ));
        }

        let settings = Self {
            mode: args.mode.unwrap_or(defaults::MODE),
            addr,
            data_dir,
            user_store,
            session_store,
            redis_prefix: args
                .redis_prefix
                .unwrap_or_else(|| defaults::REDIS_PREFIX.to_owned()),
            issuer,
            audience,
            signing_algorithm,
            access_token_lifetime: args
                .access_token_lifetime
                .unwrap_or(defaults::ACCESS_TOKEN_LIFETIME),
            refresh_token_lifetime: args
                .refresh_token_lifetime
                .unwrap_or(defaults::REFRESH_TOKEN_LIFETIME),
            session_idle_timeout: args
                .session_idle_timeout
                .unwrap_or(defaults::SESSION_IDLE_TIMEOUT),
            session_absolute_timeout: args
                .session_absolute_timeout
                .unwrap_or(defaults::SESSION_ABSOLUTE_TIMEOUT),
            refresh_grace: args.refresh_grace.unwrap_or(defaults::REFRESH_GRACE),
            revocation: args.revocation.unwrap_or(defaults::REVOCATION),
            leeway: args.leeway.unwrap_or(defaults::LEEWAY),
            max_token_bytes: args.max_token_bytes.unwrap_or(defaults::MAX_TOKEN_BYTES),
            body_limit: args.body_limit.unwrap_or(defaults::BODY_LIMIT),
            master_key: args.master_key,
            admin_token: args.admin_token,
            clients: args.clients.unwrap_or_default(),
            login_limit_per_account: args
                .login_limit_per_account
                .unwrap_or(defaults::LOGIN_LIMIT_PER_ACCOUNT),
            login_limit_per_ip: args
                .login_limit_per_ip
                .unwrap_or(defaults::LOGIN_LIMIT_PER_IP),
            login_limit_window: args
                .login_limit_window
                .unwrap_or(defaults::LOGIN_LIMIT_WINDOW),
            issuer_from_addr,
            audience_from_issuer,
        };
        settings.check()?;
        Ok(settings)
    }

    /// Checks the ranges and the relations between settings.
    fn check(&self) -> Result<(), ConfigError> {
        let positive = [
            ("access_token_lifetime", self.access_token_lifetime),
            ("refresh_token_lifetime", self.refresh_token_lifetime),
            ("session_idle_timeout", self.session_idle_timeout),
            ("session_absolute_timeout", self.session_absolute_timeout),
        ];
        for (setting, value) in positive {
            if value.get() == 0 {
                return Err(invalid(setting, "must be longer than 0s"));
            }
        }
        if self.refresh_token_lifetime < self.access_token_lifetime {
            return Err(invalid(
                "refresh_token_lifetime",
                "must be at least access_token_lifetime",
            ));
        }
        if self.session_absolute_timeout < self.session_idle_timeout {
            return Err(invalid(
                "session_absolute_timeout",
                "must be at least session_idle_timeout",
            ));
        }
        if self.refresh_grace.get() > 300 {
            return Err(invalid("refresh_grace", "must be 5m or less"));
        }
        if self.leeway.get() > 300 {
            return Err(invalid("leeway", "must be 5m or less"));
        }
        if !(1024..=65_536).contains(&self.max_token_bytes) {
            return Err(invalid("max_token_bytes", "must be 1024 to 65536"));
        }
        if !(1024..=64 * 1024 * 1024).contains(&self.body_limit) {
            return Err(invalid("body_limit", "must be 1024 to 67108864 bytes"));
        }
        if !(1..=86_400).contains(&self.login_limit_window.get()) {
            return Err(invalid("login_limit_window", "must be 1s to 1d"));
        }
        for (setting, limit) in [
            ("login_limit_per_account", self.login_limit_per_account),
            ("login_limit_per_ip", self.login_limit_per_ip),
        ] {
            if limit > 100_000 {
                return Err(invalid(setting, "must be 0 (off) to 100000"));
            }
        }
        if self.redis_prefix.is_empty() {
            return Err(invalid("redis_prefix", "must not be empty"));
        }
        self.master_key()?;
        if let Some(token) = &self.admin_token
            && token.expose().len() < 32
        {
            return Err(invalid(
                "admin_token",
                "must be 32 characters or more (`keycard secret` makes one)",
            ));
        }
        if let Some((id, _)) = self
            .clients
            .iter()
            .find(|(_, secret)| secret.expose().len() < 32)
        {
            return Err(invalid(
                "clients",
                format!(
                    "the secret of client {id:?} must be 32 characters or more (`keycard secret` makes one)"
                ),
            ));
        }
        Ok(())
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
            self.issuer = format!("http://{bound}");
            if self.audience_from_issuer {
                self.audience.clone_from(&self.issuer);
            }
        }
        self
    }

    /// The public URL of a path on this server, under the issuer.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }
}

fn default_store(data_dir: &Path) -> StoreUrl {
    StoreUrl::Sqlite(data_dir.join(defaults::SQLITE_FILE))
}

/// An issuer is an http(s) URL with a host, no query or fragment; the trailing slash goes.
fn check_issuer(issuer: &str) -> Result<String, ConfigError> {
    let issuer = issuer.trim().trim_end_matches('/');
    let rest = issuer
        .strip_prefix("https://")
        .or_else(|| issuer.strip_prefix("http://"))
        .ok_or_else(|| invalid("issuer", "must be an http:// or https:// URL"))?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(invalid("issuer", "must name a host"));
    }
    if rest.contains(['?', '#', ' ']) {
        return Err(invalid("issuer", "must have no query, fragment or spaces"));
    }
    Ok(issuer.to_owned())
}
