//! `GET /openapi.json`: the OpenAPI 3.1 description of the HTTP surface, generated from the
//! code.
//!
//! Each handler carries its operation (`#[utoipa::path]`: path, parameters, bodies,
//! responses with their problem types, security); the bodies are the typed structs of
//! [`dto`](super::dto). [`ApiDoc`] gathers them, adds the security schemes, and the
//! document is serialised once, at the first request, and served as is.
//!
//! One document serves every mode. An operation that exists in some modes only says so in
//! its description and in `x-keycard-modes` (the refresh route: hybrid only).
//! `tests/openapi.rs` asks a running server of each mode which routes it answers, and fails
//! if one is undocumented, or if a documented one is missing where its modes say it exists.

use std::sync::LazyLock;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use keycard_auth::AuthError;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{LicenseBuilder, OpenApi as Document};
use utoipa::{Modify, OpenApi};

use super::dto::{
    account, admin as admin_dto, discovery, oauth as oauth_dto, problems, sessions as sessions_dto,
    tokens,
};
use super::extract::{REFRESH_COOKIE, SESSION_COOKIE};
use super::{
    admin, auth_check, health, login, logout, me, oauth, password, sessions, token, token_status,
    users, well_known,
};
use crate::error::WebError;

/// The path.
pub const OPENAPI_PATH: &str = "/openapi.json";

/// The operation extension naming the modes an operation exists in, when not all.
pub const MODES_EXTENSION: &str = "x-keycard-modes";

/// The description of the API.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Keycard",
        description = "Keycard's HTTP API (v1). JSON in and out; every error is \
            `application/problem+json` (see `Problem`). Which login response and which \
            credential apply depends on the server's mode (`session`, `jwt` or `hybrid`; see \
            `GET /.well-known/keycard-configuration`); an operation that exists in some modes \
            only lists them in `x-keycard-modes`. Cookie-authenticated unsafe requests need a \
            same-origin `Origin` and `X-CSRF-Token`; bearer requests need neither. Every \
            response carrying a token has `Cache-Control: no-store`.",
    ),
    servers((url = "http://127.0.0.1:8080", description = "`keycard serve` with no configuration.")),
    paths(
        users::create,
        login::login,
        me::me,
        token::refresh,
        token_status::status,
        logout::logout,
        logout::logout_all,
        sessions::list,
        sessions::revoke,
        password::change,
        auth_check::auth_check,
        oauth::introspect,
        oauth::revoke,
        crate::routes::revocations::revocations,
        admin::disable,
        admin::enable,
        admin::sessions,
        admin::revoke_sessions,
        admin::audit,
        well_known::jwks,
        well_known::configuration,
        health::healthz,
        health::readyz,
        crate::metrics::metrics,
        openapi,
    ),
    components(
        schemas(
            problems::Problem,
            account::NewUser,
            account::User,
            account::PasswordChange,
            account::Me,
            account::MeSession,
            account::ModeName,
            tokens::LoginRequest,
            tokens::Transport,
            tokens::LoginResponse,
            tokens::SessionLogin,
            tokens::TokenResponse,
            tokens::TokenType,
            tokens::RefreshRequest,
            tokens::TokenStatusRequest,
            tokens::TokenStatus,
            sessions_dto::SessionInfo,
            sessions_dto::SessionList,
            admin_dto::UserStatus,
            admin_dto::SessionsRevoked,
            admin_dto::SessionKindName,
            admin_dto::AdminSessionInfo,
            admin_dto::AdminSessionList,
            admin_dto::AuditEventInfo,
            admin_dto::AuditPage,
            oauth_dto::TokenForm,
            oauth_dto::IntrospectionInfo,
            crate::routes::dto::revocations::RevocationEvent,
            crate::routes::dto::revocations::Snapshot,
            crate::routes::dto::revocations::Heartbeat,
            discovery::Health,
            discovery::HealthStatus,
            discovery::RevocationName,
            discovery::Configuration,
            discovery::Endpoints,
            discovery::JwkSet,
            discovery::Jwk,
        ),
        responses(
            problems::BadRequest,
            problems::Unauthorized,
            problems::Forbidden,
            problems::NotFound,
            problems::Conflict,
            problems::RequestTimeout,
            problems::PayloadTooLarge,
            problems::UnsupportedMediaType,
            problems::UnprocessableEntity,
            problems::TooManyRequests,
            problems::InternalError,
            problems::ServiceUnavailable,
        ),
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "auth", description = "Logging in and out, refreshing, the gateway check."),
        (name = "account", description = "Creating an account, who am I, changing the password."),
        (name = "sessions", description = "The caller's sessions."),
        (name = "oauth", description = "Token introspection and revocation, for configured clients."),
        (name = "admin", description = "For the holder of the configured admin token."),
        (name = "discovery", description = "What a verifier fetches: the keys and the configuration."),
        (name = "operations", description = "Probes, metrics and this document."),
    ),
)]
pub struct ApiDoc;

/// The security schemes the operations name, and the license's SPDX identifier.
#[derive(Debug)]
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, document: &mut Document) {
        document.info.license = Some(
            LicenseBuilder::new()
                .name("Apache-2.0")
                .identifier(Some("Apache-2.0"))
                .build(),
        );
        let components = document.components.get_or_insert_with(Default::default);
        let schemes = [
            (
                "sessionCookie",
                SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                    SESSION_COOKIE,
                    "Session mode: the session cookie set by `POST /v1/login`.",
                ))),
            ),
            (
                "bearerAuth",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("JWT")
                        .description(Some(
                            "Jwt and hybrid modes: the access token (`typ: at+jwt`, RFC 9068) \
                             from `POST /v1/login` or `POST /v1/token/refresh`.",
                        ))
                        .build(),
                ),
            ),
            (
                "refreshCookie",
                SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                    REFRESH_COOKIE,
                    "Hybrid mode: the refresh cookie, scoped to `/v1/token`.",
                ))),
            ),
            (
                "adminToken",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .description(Some(
                            "The admin token of the configuration (`admin_token`). Without \
                             one configured, every admin route answers 404.",
                        ))
                        .build(),
                ),
            ),
            (
                "clientSecretBasic",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Basic)
                        .description(Some(
                            "A client id and secret of the `clients` setting, each \
                             form-urlencoded (RFC 6749 section 2.3.1).",
                        ))
                        .build(),
                ),
            ),
        ];
        for (name, scheme) in schemes {
            components.add_security_scheme(name, scheme);
        }
    }
}

/// The document, serialised at the first request.
static DOCUMENT: LazyLock<Result<String, serde_json::Error>> =
    LazyLock::new(|| ApiDoc::openapi().to_json());

/// `GET /openapi.json`. The document changes only with the binary, so caches may keep it
/// for an hour.
#[utoipa::path(
    get,
    path = "/openapi.json",
    operation_id = "openapi",
    tag = "operations",
    responses((
        status = 200,
        description = "This document (OpenAPI 3.1).",
        content_type = "application/json",
        body = Object,
        headers(("Cache-Control" = String, description = "`public, max-age=3600`."))
    ))
)]
pub async fn openapi() -> Result<Response, WebError> {
    let document = DOCUMENT
        .as_ref()
        .map_err(|error| AuthError::internal(format!("the OpenAPI document: {error}")))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        document.as_str(),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_and_lists_itself() {
        let document = DOCUMENT
            .as_ref()
            .map(|json| serde_json::from_str::<serde_json::Value>(json));
        let Ok(Ok(document)) = document else {
            panic!("the document does not serialise: {document:?}");
        };
        assert_eq!(document["openapi"], "3.1.0");
        assert!(document["paths"][OPENAPI_PATH]["get"].is_object());
    }

    #[test]
    fn the_refresh_route_says_it_exists_in_hybrid_mode_only() {
        let document = ApiDoc::openapi();
        let operation = document
            .paths
            .get_path_operation(token::REFRESH, utoipa::openapi::HttpMethod::Post)
            .and_then(|operation| operation.extensions.as_ref())
            .and_then(|extensions| extensions.get(MODES_EXTENSION));
        assert_eq!(operation, Some(&serde_json::json!(["hybrid"])));
    }
}
