//! `POST /v1/introspect` (RFC 7662) and `POST /v1/revoke` (RFC 7009), for the clients of
//! the `clients` setting, authenticated by HTTP Basic. Both read a form body
//! (`token=...&token_type_hint=...`); the hint is accepted and not needed.
//!
//! - introspect: 200 `{"active": false}` for anything invalid, expired or revoked, else
//!   `{"active": true, token_type, sub, sid, exp, iat, iss, aud?, jti?}`;
//! - revoke: 200 with an empty body, also for an unknown or invalid token (RFC 7009
//!   section 2.2);
//! - a missing or wrong client, one without the route's permission (`introspect` or
//!   `revoke`), or none configured: 401 `invalid-client` with `WWW-Authenticate: Basic`;
//!   a body without `token`: 400.
//!
//! Client credentials come as HTTP Basic (read by the `headers` crate), the id and the
//! secret each form-urlencoded first (RFC 6749 section 2.3.1).

use std::marker::PhantomData;

use axum::Json;
use axum::extract::{Form, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use headers::authorization::Basic;
use headers::{Authorization, HeaderMapExt as _};
use keycard_auth::AuthError;
use keycard_auth::oauth::AuthenticatedClient;
use keycard_auth::settings::Permission;
use percent_encoding::percent_decode_str;
use secrecy::ExposeSecret;
use zeroize::Zeroizing;

use super::client::Client;
use super::dto::oauth::{IntrospectionInfo, TokenForm};
use super::dto::problems;
use crate::error::WebError;
use crate::state::AppState;

/// The introspection path.
pub const INTROSPECT_PATH: &str = "/v1/introspect";
/// The revocation path.
pub const REVOKE_PATH: &str = "/v1/revoke";

/// What a route needs its client to be allowed.
pub trait Needs: Send + Sync {
    /// The permission.
    const PERMISSION: Permission;
}

/// Introspection.
#[derive(Debug)]
pub struct Introspecting;

impl Needs for Introspecting {
    const PERMISSION: Permission = Permission::Introspect;
}

/// Revocation.
#[derive(Debug)]
pub struct Revoking;

impl Needs for Revoking {
    const PERMISSION: Permission = Permission::Revoke;
}

/// A request from a client that authenticated and holds `P`'s permission. Checked before
/// the body is read.
#[derive(Debug)]
pub struct OAuthClient<P>(pub AuthenticatedClient, pub PhantomData<P>);

impl<P: Needs> FromRequestParts<AppState> for OAuthClient<P> {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (id, secret) = basic_credentials(&parts.headers).ok_or(AuthError::InvalidClient)?;
        let client = state
            .auth()
            .authenticate_client(&id, &secret, P::PERMISSION)?;
        Ok(Self(client, PhantomData))
    }
}

/// The id and secret of `Authorization: Basic`, each percent-decoded; `None` if the
/// header is missing, repeated or malformed.
pub fn basic_credentials(headers: &HeaderMap) -> Option<(String, Zeroizing<String>)> {
    if headers.get_all(header::AUTHORIZATION).iter().count() != 1 {
        return None;
    }
    let Authorization(basic) = headers.typed_get::<Authorization<Basic>>()?;
    let id = percent_decode_str(basic.username()).decode_utf8().ok()?;
    let secret = percent_decode_str(basic.password()).decode_utf8().ok()?;
    Some((id.into_owned(), Zeroizing::new(secret.into_owned())))
}

/// The form's token; a form without one is 400.
fn token(form: &TokenForm) -> Result<&str, WebError> {
    form.token
        .as_ref()
        .map(ExposeSecret::expose_secret)
        .ok_or_else(|| WebError::BadRequest("The form has no `token`.".into()))
}

/// `POST /v1/introspect`.
#[utoipa::path(
    post,
    path = "/v1/introspect",
    operation_id = "introspect",
    tag = "oauth",
    security(("clientSecretBasic" = [])),
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "What the token is, or `{\"active\": false}`.", body = IntrospectionInfo),
        (status = 400, response = problems::BadRequest),
        (status = 401, response = problems::Unauthorized),
        (status = 408, response = problems::RequestTimeout),
        (status = 413, response = problems::PayloadTooLarge),
        (status = 415, response = problems::UnsupportedMediaType),
        (status = 500, response = problems::InternalError),
        (status = 503, response = problems::ServiceUnavailable),
    )
)]
pub async fn introspect(
    OAuthClient(client, _): OAuthClient<Introspecting>,
    State(state): State<AppState>,
    Form(form): Form<TokenForm>,
) -> Result<Json<IntrospectionInfo>, WebError> {
    let auth = state.auth();
    let answer = auth.introspect(&client, token(&form)?, auth.now()).await?;
    tracing::debug!(client = %client.id, active = answer.active, "token introspected");
    Ok(Json(IntrospectionInfo::from(answer)))
}

/// `POST /v1/revoke`.
#[utoipa::path(
    post,
    path = "/v1/revoke",
    operation_id = "revoke",
    tag = "oauth",
    security(("clientSecretBasic" = [])),
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (
            status = 200,
            description = "Revoked, or nothing to revoke (an unknown or invalid token is not \
                an error, RFC 7009 section 2.2). The body is empty."
        ),
        (status = 400, response = problems::BadRequest),
        (status = 401, response = problems::Unauthorized),
        (status = 408, response = problems::RequestTimeout),
        (status = 413, response = problems::PayloadTooLarge),
        (status = 415, response = problems::UnsupportedMediaType),
        (status = 500, response = problems::InternalError),
        (status = 503, response = problems::ServiceUnavailable),
    )
)]
pub async fn revoke(
    OAuthClient(oauth_client, _): OAuthClient<Revoking>,
    State(state): State<AppState>,
    Client(client): Client,
    Form(form): Form<TokenForm>,
) -> Result<StatusCode, WebError> {
    let auth = state.auth();
    let revoked = auth
        .revoke_token(&oauth_client, token(&form)?, &client, auth.now())
        .await?;
    tracing::debug!(client = %oauth_client.id, revoked, "token revocation requested");
    Ok(StatusCode::OK)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn with(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn basic_credentials_are_read_and_percent_decoded() {
        // "o%25th:s3cret" and "api:s:3" in standard base64.
        let (id, secret) = basic_credentials(&with("Basic byUyNXRoOnMzY3JldA==")).unwrap();
        assert_eq!((id.as_str(), secret.as_str()), ("o%th", "s3cret"));
        let (id, secret) = basic_credentials(&with("basic YXBpOnM6Mw==")).unwrap();
        assert_eq!((id.as_str(), secret.as_str()), ("api", "s:3"));
        for bad in ["Bearer YXBpOnM6Mw==", "Basic !!!", "Basic YXBp", "Basic"] {
            assert!(basic_credentials(&with(bad)).is_none(), "{bad}");
        }
        assert!(basic_credentials(&HeaderMap::new()).is_none());
        let mut twice = with("Basic YXBpOnM6Mw==");
        twice.append(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic YXBpOnM6Mw=="),
        );
        assert!(basic_credentials(&twice).is_none());
    }
}
