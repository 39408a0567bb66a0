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
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use keycard_auth::session::Credential;
use keycard_auth::tokens::AccessToken;

use super::client::Client;
use super::extract::{refresh_cookie, session_cookie};
use crate::error::WebError;
use crate::state::AppState;

/// Where a hybrid-mode client wants its refresh token.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// An HttpOnly cookie scoped to the refresh path (browsers).
    #[default]
    Cookie,
    /// The response body (native clients).
    Body,
}

/// The request body. `Debug` leaves the password out.
#[derive(Deserialize)]
pub struct LoginBody {
    email: String,
    password: Zeroizing<String>,
    #[serde(default)]
    refresh_token_transport: Transport,
}

impl std::fmt::Debug for LoginBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginBody")
            .field("email", &self.email)
            .field("refresh_token_transport", &self.refresh_token_transport)
            .finish_non_exhaustive()
    }
}

/// `POST /v1/login`.
pub async fn login(
    State(state): State<AppState>,
    Client(client): Client,
    Json(body): Json<LoginBody>,
) -> Result<Response, WebError> {
    let auth = state.auth();
    let logged_in = auth
        .login(&body.email, body.password, client, auth.now())
        .await?;
    let user = json!({ "id": logged_in.user.id, "email": logged_in.user.email.as_str() });
    Ok(match logged_in.credential {
        Credential::Cookie { token, csrf_token } => (
            [(header::SET_COOKIE, session_cookie(token.expose_secret()))],
            Json(json!({ "user": user, "csrf_token": csrf_token })),
        )
            .into_response(),
        Credential::Access { access, refresh } => {
            access_response(&access, refresh.as_ref(), body.refresh_token_transport)
        }
    })
}

/// The body of a response carrying an access token, and a refresh token by `transport`.
pub fn access_response(
    access: &AccessToken,
    refresh: Option<&keycard_core::opaque::OpaqueToken>,
    transport: Transport,
) -> Response {
    let mut body: Value = json!({
        "access_token": access.token,
        "token_type": "Bearer",
        "expires_in": access.expires_in,
    });
    match (refresh, transport) {
        (Some(refresh), Transport::Body) => {
            body["refresh_token"] = Value::from(refresh.expose_secret());
            Json(body).into_response()
        }
        (Some(refresh), Transport::Cookie) => (
            [(header::SET_COOKIE, refresh_cookie(refresh.expose_secret()))],
            Json(body),
        )
            .into_response(),
        (None, _) => Json(body).into_response(),
    }
}
