//! What operators and verifiers read: health, the configuration document and the keys.

use serde::Serialize;
use utoipa::ToSchema;

use super::account::ModeName;

/// The answer of `GET /healthz` (`ok`) and `GET /readyz` (`ready`).
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` from the liveness probe, `ready` from the readiness probe.
    pub status: HealthStatus,
}

/// What a probe found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    /// The process serves HTTP.
    Ok,
    /// Every store answered in time.
    Ready,
}

/// Whether logout and revocation reach access tokens before they expire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = Revocation)]
pub enum RevocationName {
    /// Revoked sessions' access tokens are refused at once.
    On,
    /// Access tokens live out their lifetime.
    Off,
}

impl From<keycard_auth::settings::Revocation> for RevocationName {
    fn from(revocation: keycard_auth::settings::Revocation) -> Self {
        match revocation {
            keycard_auth::settings::Revocation::On => Self::On,
            keycard_auth::settings::Revocation::Off => Self::Off,
        }
    }
}

/// The answer of `GET /.well-known/keycard-configuration`: where the keys are, who issues,
/// for whom, and the endpoints this server has.
#[derive(Debug, Serialize, ToSchema)]
pub struct Configuration {
    /// Seconds an access token lives.
    pub access_token_lifetime: u64,
    /// The `aud` of access tokens.
    pub audience: String,
    /// The endpoints that exist, as absolute URLs under the issuer.
    pub endpoints: Endpoints,
    /// The `iss` of every token.
    pub issuer: String,
    /// Where the public keys are.
    pub jwks_uri: String,
    /// The server's mode.
    pub mode: ModeName,
    /// Whether access tokens are revocable.
    pub revocation: RevocationName,
    /// The algorithms of the keys in the key set.
    pub signing_alg_values_supported: Vec<&'static str>,
}

/// The endpoints of the configuration document, by name, as absolute URLs.
#[derive(Debug, Serialize, ToSchema)]
pub struct Endpoints {
    /// `GET /v1/auth/check`.
    pub auth_check: String,
    /// `GET /.well-known/keycard-configuration`.
    pub configuration: String,
    /// `GET /healthz`.
    pub healthz: String,
    /// `POST /v1/introspect`.
    pub introspect: String,
    /// `GET /.well-known/jwks.json`.
    pub jwks: String,
    /// `POST /v1/login`.
    pub login: String,
    /// `POST /v1/logout`.
    pub logout: String,
    /// `POST /v1/logout/all`.
    pub logout_all: String,
    /// `GET /v1/me`.
    pub me: String,
    /// `POST /v1/password`.
    pub password: String,
    /// `GET /readyz`.
    pub readyz: String,
    /// `GET /v1/revocations`: the revocation feed as Server-Sent Events, for verifiers
    /// (clients with the `revocations` permission).
    pub revocations: String,
    /// `POST /v1/revoke`.
    pub revoke: String,
    /// `GET /v1/sessions`.
    pub sessions: String,
    /// `POST /v1/token/refresh`: hybrid mode only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub token_refresh: Option<String>,
    /// `POST /v1/users`.
    pub users: String,
}

/// The key set of `GET /.well-known/jwks.json` (RFC 7517): the public half of every
/// asymmetric key, active, next and retired. `keycard-core` writes it
/// ([`KeySet::public_jwks`](keycard_core::jose::KeySet::public_jwks)); this type describes
/// it for the document, and `tests/openapi.rs` checks the live set against the description.
#[derive(Debug, ToSchema)]
pub struct JwkSet {
    /// The keys.
    pub keys: Vec<Jwk>,
}

/// A public JSON Web Key (RFC 7517, 7518, 8037). Private members are never published.
#[derive(Debug, ToSchema)]
pub struct Jwk {
    /// The algorithm: `RS256`, `ES256`, `EdDSA`, ...
    pub alg: String,
    /// EC and OKP keys: the curve.
    #[schema(nullable = false)]
    pub crv: Option<String>,
    /// RSA keys: the exponent, base64url.
    #[schema(nullable = false)]
    pub e: Option<String>,
    /// The key id: the `kid` of the tokens it signs.
    pub kid: String,
    /// `RSA`, `EC` or `OKP`.
    pub kty: String,
    /// RSA keys: the modulus, base64url.
    #[schema(nullable = false)]
    pub n: Option<String>,
    /// Always `sig`.
    #[schema(rename = "use")]
    pub use_: String,
    /// EC and OKP keys: the x coordinate or public key, base64url.
    #[schema(nullable = false)]
    pub x: Option<String>,
    /// EC keys: the y coordinate, base64url.
    #[schema(nullable = false)]
    pub y: Option<String>,
}
