//! What a resource server tells the verifier: whom to trust (the issuer, where its keys
//! are), what a token must say (audiences, algorithms, `typ`, leeway), and, for a Keycard
//! issuer, the client credentials that let it follow the revocation stream.
//!
//! Built with `with_*` methods from [`VerifierConfig::new`]; every setting has a default
//! that suits a Keycard issuer.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use keycard_core::jwt::DEFAULT_LEEWAY_SECS;
use keycard_core::{Algorithm, Clock, SystemClock};
use secrecy::{ExposeSecret, SecretString};

/// The access token type Keycard issues (RFC 9068), required by default.
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";
/// How long after one refetch for an unknown `kid` another may be made, by default.
pub const DEFAULT_KID_COOLDOWN: Duration = Duration::from_secs(10);
/// The default staleness bound: the server's own default `revocation_staleness`.
pub const DEFAULT_STALENESS: Duration = Duration::from_secs(2);
/// The default bounds on how long a fetched JWKS is used before it is fetched again,
/// whatever its `Cache-Control` says.
pub const DEFAULT_JWKS_MAX_AGE_BOUNDS: (Duration, Duration) =
    (Duration::from_secs(60), Duration::from_secs(24 * 3600));
/// Verified tokens remembered by default (the server's default `token_cache_size`).
pub const DEFAULT_TOKEN_CACHE_SIZE: usize = 100_000;

/// Where the issuer's keys are found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// From the issuer's discovery document: `/.well-known/keycard-configuration`, or, when
    /// the issuer has none, `/.well-known/openid-configuration` (any OpenID provider).
    Discovery,
    /// This JWKS URL, no discovery.
    Jwks(String),
}

/// A client of Keycard's `/v1/revocations` stream (a client with the `revocations`
/// permission). The secret never appears in `Debug` output or logs.
#[derive(Clone)]
pub struct ClientCredentials {
    pub(crate) id: String,
    pub(crate) secret: SecretString,
}

impl ClientCredentials {
    /// The client's id and secret.
    pub fn new(id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            secret: SecretString::from(secret.into()),
        }
    }

    pub(crate) fn secret(&self) -> &str {
        self.secret.expose_secret()
    }
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("id", &self.id)
            .field("secret", &"[redacted]")
            .finish()
    }
}

/// Everything the verifier is configured with.
#[derive(Clone)]
pub struct VerifierConfig {
    pub(crate) issuer: String,
    pub(crate) audiences: Vec<String>,
    pub(crate) algorithms: Vec<Algorithm>,
    pub(crate) typ: Option<String>,
    pub(crate) leeway_secs: i64,
    pub(crate) max_token_bytes: usize,
    pub(crate) keys: KeySource,
    pub(crate) jwks_max_age_bounds: (Duration, Duration),
    pub(crate) kid_cooldown: Duration,
    pub(crate) allow_http: bool,
    pub(crate) credentials: Option<ClientCredentials>,
    pub(crate) revocations_url: Option<String>,
    pub(crate) staleness: Duration,
    pub(crate) token_cache_size: usize,
    pub(crate) clock: Arc<dyn Clock>,
}

impl fmt::Debug for VerifierConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifierConfig")
            .field("issuer", &self.issuer)
            .field("audiences", &self.audiences)
            .field("algorithms", &self.algorithms)
            .field("typ", &self.typ)
            .field("leeway_secs", &self.leeway_secs)
            .field("keys", &self.keys)
            .field("kid_cooldown", &self.kid_cooldown)
            .field("allow_http", &self.allow_http)
            .field("credentials", &self.credentials)
            .field("staleness", &self.staleness)
            .finish_non_exhaustive()
    }
}

impl VerifierConfig {
    /// Tokens from `issuer` (their `iss`, exactly; also the base of the discovery URLs),
    /// with the defaults: audience the issuer (Keycard's default `audience`), every
    /// asymmetric algorithm, `typ: at+jwt`, 30 s leeway, 8 KiB cap, keys by discovery,
    /// the JWKS kept per its `Cache-Control` between 1 minute and 1 day, one refetch for
    /// an unknown `kid` per 10 s, plain HTTP only to loopback, no revocation stream.
    pub fn new(issuer: impl Into<String>) -> Self {
        let issuer = issuer.into();
        Self {
            audiences: Vec::new(),
            algorithms: Algorithm::ALL
                .into_iter()
                .filter(|alg| alg.family() != keycard_core::jose::Family::Hmac)
                .collect(),
            typ: Some(ACCESS_TOKEN_TYP.to_owned()),
            leeway_secs: DEFAULT_LEEWAY_SECS,
            max_token_bytes: keycard_core::jose::jws::DEFAULT_MAX_TOKEN_BYTES,
            keys: KeySource::Discovery,
            jwks_max_age_bounds: DEFAULT_JWKS_MAX_AGE_BOUNDS,
            kid_cooldown: DEFAULT_KID_COOLDOWN,
            allow_http: false,
            credentials: None,
            revocations_url: None,
            staleness: DEFAULT_STALENESS,
            token_cache_size: DEFAULT_TOKEN_CACHE_SIZE,
            clock: Arc::new(SystemClock),
            issuer,
        }
    }

    /// Accepts tokens whose `aud` contains `audience`; call again to accept several.
    pub fn with_audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// The only algorithms accepted: keys the issuer publishes for others are ignored, and
    /// a token's `alg` must be its key's. HMAC is never taken from a published key set.
    pub fn with_algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms.into_iter().collect();
        self
    }

    /// The `typ` every token must carry (`None`: any, for issuers that send none).
    pub fn with_typ(mut self, typ: Option<&str>) -> Self {
        self.typ = typ.map(str::to_owned);
        self
    }

    /// The allowance for clock skew on `exp`, `nbf` and `iat`.
    pub fn with_leeway(mut self, leeway: Duration) -> Self {
        self.leeway_secs = i64::try_from(leeway.as_secs()).unwrap_or(i64::MAX);
        self
    }

    /// The largest token accepted, checked before anything is decoded.
    pub fn with_max_token_bytes(mut self, max: usize) -> Self {
        self.max_token_bytes = max;
        self
    }

    /// Where the keys are: by discovery (the default) or a JWKS URL.
    pub fn with_keys(mut self, keys: KeySource) -> Self {
        self.keys = keys;
        self
    }

    /// Bounds on how long a fetched JWKS is used: its `max-age`, raised to `min`, lowered
    /// to `max` (no `max-age`: `min`).
    pub fn with_jwks_max_age_bounds(mut self, min: Duration, max: Duration) -> Self {
        self.jwks_max_age_bounds = (min, max.max(min));
        self
    }

    /// At most one refetch of the JWKS for an unknown `kid` per `cooldown`.
    pub fn with_kid_cooldown(mut self, cooldown: Duration) -> Self {
        self.kid_cooldown = cooldown;
        self
    }

    /// Allows plain HTTP to hosts other than loopback (never needed for a real issuer).
    pub fn with_insecure_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// Follows Keycard's revocation stream as this client; without it tokens are verified
    /// statelessly and a logout is not seen before the token expires.
    pub fn with_client_credentials(mut self, credentials: ClientCredentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// The revocation stream's URL (default: the issuer's `/v1/revocations`).
    pub fn with_revocations_url(mut self, url: impl Into<String>) -> Self {
        self.revocations_url = Some(url.into());
        self
    }

    /// How long the stream may be silent before memory is distrusted and requests are
    /// answered 503.
    pub fn with_staleness(mut self, bound: Duration) -> Self {
        self.staleness = bound;
        self
    }

    /// How many verified tokens are remembered (0: none).
    pub fn with_token_cache_size(mut self, size: usize) -> Self {
        self.token_cache_size = size;
        self
    }

    /// The clock tokens are checked against (tests: a `ManualClock`).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The accepted audiences: those configured, or the issuer.
    pub(crate) fn audiences(&self) -> Vec<String> {
        if self.audiences.is_empty() {
            vec![self.issuer.clone()]
        } else {
            self.audiences.clone()
        }
    }

    /// The issuer without a trailing slash, the base of the well-known URLs.
    pub(crate) fn issuer_base(&self) -> &str {
        self.issuer.trim_end_matches('/')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let config = VerifierConfig::new("https://auth.example")
            .with_client_credentials(ClientCredentials::new("rs", "s3cr3t-value-0123456789"));
        let shown = format!("{config:?}");
        assert!(shown.contains("\"rs\""), "{shown}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
    }

    #[test]
    fn defaults_suit_a_keycard_issuer() {
        let config = VerifierConfig::new("https://auth.example/");
        assert_eq!(config.audiences(), ["https://auth.example/"]);
        assert_eq!(config.issuer_base(), "https://auth.example");
        assert_eq!(config.typ.as_deref(), Some("at+jwt"));
        assert!(config.algorithms.contains(&Algorithm::EdDSA));
        assert!(!config.algorithms.contains(&Algorithm::HS256));
        assert_eq!(config.kid_cooldown, Duration::from_secs(10));
    }
}
