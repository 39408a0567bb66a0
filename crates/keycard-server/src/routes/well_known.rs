//! What a verifier fetches to trust this issuer: the public keys
//! (`/.well-known/jwks.json`) and the configuration document
//! (`/.well-known/keycard-configuration`).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::config::Settings;
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
pub async fn jwks(State(state): State<AppState>) -> Response {
    let jwks = state.auth().keys().public_jwks();
    ([cache_public(state.settings())], Json(jwks)).into_response()
}

/// `GET /.well-known/keycard-configuration`: where the keys are, who issues, for whom, and
/// the endpoints this server has.
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
    let document = json!({
        "issuer": auth.issuer,
        "jwks_uri": settings.url(JWKS_PATH),
        "audience": auth.audience,
        "mode": auth.mode.name(),
        "revocation": auth.tokens.revocation.name(),
        "signing_alg_values_supported": algorithms,
        "access_token_lifetime": auth.tokens.access_token_lifetime.get(),
        "endpoints": endpoints(settings),
    });
    ([cache_public(settings)], Json(document)).into_response()
}

/// The endpoints that exist, by name, as absolute URLs under the issuer.
fn endpoints(settings: &Settings) -> Value {
    let mut endpoints = json!({
        "configuration": settings.url(CONFIGURATION_PATH),
        "jwks": settings.url(JWKS_PATH),
        "healthz": settings.url("/healthz"),
        "readyz": settings.url("/readyz"),
        "users": settings.url("/v1/users"),
        "login": settings.url("/v1/login"),
        "me": settings.url("/v1/me"),
        "logout": settings.url("/v1/logout"),
        "logout_all": settings.url("/v1/logout/all"),
        "sessions": settings.url("/v1/sessions"),
        "password": settings.url("/v1/password"),
        "auth_check": settings.url("/v1/auth/check"),
        "introspect": settings.url(super::oauth::INTROSPECT_PATH),
        "revoke": settings.url(super::oauth::REVOKE_PATH),
    });
    // Refresh tokens exist in hybrid mode only.
    if settings.auth.mode == crate::config::Mode::Hybrid {
        endpoints["token_refresh"] = Value::from(settings.url(super::token::REFRESH));
    }
    endpoints
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
