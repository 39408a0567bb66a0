//! What a verifier fetches to trust this issuer: the public keys
//! (`/.well-known/jwks.json`) and the configuration document
//! (`/.well-known/keycard-configuration`).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::dto::account::ModeName;
use super::dto::discovery::{Configuration, Endpoints, JwkSet, RevocationName};
use crate::config::{Mode, Settings};
use crate::state::AppState;

/// The JWKS path.
pub const JWKS_PATH: &str = "/.well-known/jwks.json";
/// The configuration document's path.
pub const CONFIGURATION_PATH: &str = "/.well-known/keycard-configuration";

/// How long a verifier may cache the JWKS, in seconds: the access token lifetime, at most
/// one hour; the rule and why it is safe are at
/// [`AuthSettings::jwks_max_age_secs`](keycard_auth::AuthSettings::jwks_max_age_secs).
pub fn jwks_max_age(settings: &Settings) -> u64 {
    settings.auth.jwks_max_age_secs()
}

fn cache_public(settings: &Settings) -> (header::HeaderName, HeaderValue) {
    let value = format!("public, max-age={}", jwks_max_age(settings));
    let value = HeaderValue::from_str(&value)
        .unwrap_or_else(|_| HeaderValue::from_static("public, max-age=60"));
    (header::CACHE_CONTROL, value)
}

/// `GET /.well-known/jwks.json`: the public half of every asymmetric key, active, next and
/// retired. Private members and HMAC secrets are never published.
#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    operation_id = "jwks",
    tag = "discovery",
    responses((
        status = 200,
        description = "The public keys; cacheable for the access token lifetime, at most an hour.",
        body = JwkSet,
        headers(("Cache-Control" = String, description = "`public, max-age=...`."))
    ))
)]
pub async fn jwks(State(state): State<AppState>) -> Response {
    let jwks = state.auth().keys().public_jwks();
    ([cache_public(state.settings())], Json(jwks)).into_response()
}

/// `GET /.well-known/keycard-configuration`: where the keys are, who issues, for whom, and
/// the endpoints this server has.
#[utoipa::path(
    get,
    path = "/.well-known/keycard-configuration",
    operation_id = "configuration",
    tag = "discovery",
    responses((
        status = 200,
        description = "The issuer's configuration.",
        body = Configuration,
        headers(("Cache-Control" = String, description = "`public, max-age=...`."))
    ))
)]
pub async fn configuration(State(state): State<AppState>) -> Response {
    let settings = state.settings();
    let auth = &settings.auth;
    let mut algorithms: Vec<&'static str> = Vec::new();
    for (_, key) in state.auth().keys().iter() {
        let name = key.alg().name();
        if !algorithms.contains(&name) {
            algorithms.push(name);
        }
    }
    let document = Configuration {
        access_token_lifetime: auth.tokens.access_token_lifetime.get(),
        audience: auth.audience.clone(),
        endpoints: endpoints(settings),
        issuer: auth.issuer.clone(),
        jwks_uri: settings.url(JWKS_PATH),
        mode: ModeName::from(auth.mode),
        revocation: RevocationName::from(auth.tokens.revocation),
        signing_alg_values_supported: algorithms,
    };
    ([cache_public(settings)], Json(document)).into_response()
}

/// The endpoints that exist, by name, as absolute URLs under the issuer.
fn endpoints(settings: &Settings) -> Endpoints {
    Endpoints {
        auth_check: settings.url("/v1/auth/check"),
        configuration: settings.url(CONFIGURATION_PATH),
        healthz: settings.url("/healthz"),
        introspect: settings.url(super::oauth::INTROSPECT_PATH),
        jwks: settings.url(JWKS_PATH),
        login: settings.url("/v1/login"),
        logout: settings.url("/v1/logout"),
        logout_all: settings.url("/v1/logout/all"),
        me: settings.url("/v1/me"),
        password: settings.url("/v1/password"),
        readyz: settings.url("/readyz"),
        revocations: settings.url(super::revocations::REVOCATIONS_PATH),
        revoke: settings.url(super::oauth::REVOKE_PATH),
        sessions: settings.url("/v1/sessions"),
        // Refresh tokens exist in hybrid mode only.
        token_refresh: (settings.auth.mode == Mode::Hybrid)
            .then(|| settings.url(super::token::REFRESH)),
        users: settings.url("/v1/users"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Seconds, ServeArgs};

    fn with_lifetime(secs: u64) -> Settings {
        Settings::resolve(ServeArgs {
            access_token_lifetime: Some(Seconds::new(secs)),
            refresh_token_lifetime: Some(Seconds::new(secs.max(86_400))),
            ..ServeArgs::default()
        })
        .unwrap()
    }

    #[test]
    fn max_age_is_the_access_lifetime_capped_at_an_hour() {
        assert_eq!(jwks_max_age(&with_lifetime(900)), 900);
        assert_eq!(jwks_max_age(&with_lifetime(60)), 60);
        assert_eq!(jwks_max_age(&with_lifetime(86_400)), 3600);
    }
}
