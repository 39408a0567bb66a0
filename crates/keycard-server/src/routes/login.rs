//! `POST /v1/login`: credentials in, the mode's credential out.
//!
//! - session: 200 `{user, csrf_token}` and the `__Host-keycard_session` cookie;
//! - jwt: 200 `{access_token, token_type, expires_in}`;
//! - hybrid: that body and the `__Secure-keycard_refresh` cookie, or `refresh_token` in the
//!   body when the request says `"refresh_token_transport": "body"` (native clients).
//!
//! Bad credentials are 401 `invalid-credentials`, the same whether the email exists or not;
//! past the brute-force limits, 429 `too-many-requests` with `Retry-After`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use keycard_auth::session::Credential;
use keycard_auth::tokens::AccessToken;
use keycard_core::opaque::OpaqueToken;

use super::client::Client;
use super::dto::account::User;
use super::dto::problems;
use super::dto::revealed;
use super::dto::tokens::{
    LoginRequest, LoginResponse, SessionLogin, TokenResponse, TokenType, Transport,
};
use super::extract::{refresh_cookie, session_cookie};
use crate::error::WebError;
use crate::state::AppState;

/// `POST /v1/login`.
#[utoipa::path(
    post,
    path = "/v1/login",
    operation_id = "login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (
            status = 200,
            description = "Logged in. Session mode: `SessionLogin` and the session cookie. \
                Jwt mode: `TokenResponse`. Hybrid mode: `TokenResponse` and the refresh \
                cookie, or the refresh token in the body (`refresh_token_transport: body`).",
            body = LoginResponse,
            headers((
                "Set-Cookie" = String,
                description = "Session mode: `__Host-keycard_session`. Hybrid mode, cookie \
                    transport: `__Secure-keycard_refresh`, path `/v1/token`."
            ))
        ),
        (status = 400, response = problems::BadRequest),
        (status = 401, response = problems::Unauthorized),
        (status = 408, response = problems::RequestTimeout),
        (status = 413, response = problems::PayloadTooLarge),
        (status = 415, response = problems::UnsupportedMediaType),
        (status = 429, response = problems::TooManyRequests),
        (status = 500, response = problems::InternalError),
        (status = 503, response = problems::ServiceUnavailable),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    Client(client): Client,
    Json(body): Json<LoginRequest>,
) -> Result<Response, WebError> {
    let auth = state.auth();
    let logged_in = auth
        .login(&body.email, revealed(&body.password), client, auth.now())
        .await?;
    let (cookie, answer) = match logged_in.credential {
        Credential::Cookie { token, csrf_token } => (
            Some(session_cookie(token.expose_secret())),
            LoginResponse::Session(SessionLogin {
                csrf_token,
                user: User::from(&logged_in.user),
            }),
        ),
        Credential::Access { access, refresh } => {
            let (cookie, tokens) =
                access_answer(&access, refresh.as_ref(), body.refresh_token_transport);
            (cookie, LoginResponse::Token(tokens))
        }
    };
    Ok(with_cookie(cookie, Json(answer)))
}

/// The answer carrying an access token, and a refresh token by `transport`: in the body, or
/// as the refresh cookie returned beside it.
pub fn access_answer(
    access: &AccessToken,
    refresh: Option<&OpaqueToken>,
    transport: Transport,
) -> (Option<HeaderValue>, TokenResponse) {
    let mut body = TokenResponse {
        access_token: access.token.clone(),
        expires_in: access.expires_in,
        refresh_token: None,
        token_type: TokenType::Bearer,
    };
    let cookie = match (refresh, transport) {
        (Some(refresh), Transport::Body) => {
            body.refresh_token = Some(refresh.expose_secret().to_owned());
            None
        }
        (Some(refresh), Transport::Cookie) => Some(refresh_cookie(refresh.expose_secret())),
        (None, _) => None,
    };
    (cookie, body)
}

/// `body`, with `Set-Cookie: cookie` if there is one.
pub fn with_cookie(cookie: Option<HeaderValue>, body: impl IntoResponse) -> Response {
    match cookie {
        Some(cookie) => ([(header::SET_COOKIE, cookie)], body).into_response(),
        None => body.into_response(),
    }
}
