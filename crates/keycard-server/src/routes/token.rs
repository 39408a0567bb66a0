//! `POST /v1/token/refresh` (hybrid mode): a refresh token in, a new access token and the
//! next refresh token out. The token comes from the body `{refresh_token}` (native
//! clients, answered in the body) or from the refresh cookie (browsers, answered with a new
//! cookie, after the same-origin check).

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

use keycard_auth::AuthError;

use super::client::Client;
use super::extract::{REFRESH_COOKIE, cookie, require_same_origin};
use super::login::{Transport, access_response};
use crate::error::WebError;
use crate::state::AppState;

/// The path.
pub const REFRESH: &str = "/v1/token/refresh";

/// The optional request body. `Debug` leaves the token out.
#[derive(Deserialize)]
pub struct RefreshBody {
    refresh_token: Option<String>,
}

impl std::fmt::Debug for RefreshBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshBody").finish_non_exhaustive()
    }
}

/// `POST /v1/token/refresh`.
pub async fn refresh(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    body: Option<Json<RefreshBody>>,
) -> Result<Response, WebError> {
    let from_body = body.and_then(|Json(body)| body.refresh_token);
    let (presented, transport) = match from_body {
        Some(token) => (token, Transport::Body),
        None => {
            require_same_origin(&state, &headers)?;
            let token =
                cookie(&headers, REFRESH_COOKIE).ok_or(AuthError::InvalidToken("missing"))?;
            (token, Transport::Cookie)
        }
    };
    let auth = state.auth();
    let refreshed = auth.refresh(&presented, &client, auth.now()).await?;
    Ok(access_response(
        &refreshed.access,
        Some(&refreshed.refresh),
        transport,
    ))
}
