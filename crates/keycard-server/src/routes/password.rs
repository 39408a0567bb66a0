//! `POST /v1/password` `{current_password, new_password}`: 204 once the password is changed
//! and every other session of the user has ended; the calling session stays. A wrong
//! current password is 401 `invalid-credentials`, a new one breaking a rule 422
//! `invalid-password` with the `rule`, past the login limits 429 with `Retry-After`.
//! Cookie-authenticated calls pass the CSRF check first.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use zeroize::Zeroizing;

use super::client::Client;
use super::extract::{Authenticated, require_csrf};
use crate::error::WebError;
use crate::state::AppState;

/// The request body. `Debug` shows neither password.
#[derive(Deserialize)]
pub struct PasswordBody {
    current_password: Zeroizing<String>,
    new_password: Zeroizing<String>,
}

impl std::fmt::Debug for PasswordBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordBody").finish_non_exhaustive()
    }
}

/// `POST /v1/password`.
pub async fn change(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    Authenticated(who): Authenticated,
    Json(body): Json<PasswordBody>,
) -> Result<StatusCode, WebError> {
    require_csrf(&state, &headers, &who)?;
    let auth = state.auth();
    auth.change_password(
        &who,
        body.current_password,
        body.new_password,
        &client,
        auth.now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
