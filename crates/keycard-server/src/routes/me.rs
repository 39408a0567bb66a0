//! `GET /v1/me`: who the credential belongs to, and its session; in session mode also the
//! session's CSRF token, which a page reloaded after login needs for its next change.

use axum::Json;
use axum::extract::State;
use keycard_auth::csrf::csrf_token;
use keycard_auth::current::Current;

use super::dto::account::{Me, MeSession, ModeName, User};
use super::dto::problems;
use super::extract::Authenticated;
use crate::error::WebError;
use crate::state::AppState;

/// `GET /v1/me`: `{user: {id, email}, session: {id, created_at, expires_at}, mode}`; times
/// are Unix seconds.
#[utoipa::path(
    get,
    path = "/v1/me",
    operation_id = "me",
    tag = "account",
    security(("sessionCookie" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The user, the session and the mode.", body = Me),
        (status = 401, response = problems::Unauthorized),
        (status = 500, response = problems::InternalError),
        (status = 503, response = problems::ServiceUnavailable),
    )
)]
pub async fn me(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
) -> Result<Json<Me>, WebError> {
    let auth = state.auth();
    let csrf_token = match &who {
        Current::Cookie { token, .. } => Some(csrf_token(token)),
        Current::Bearer(_) => None,
    };
    let me = auth.me(who, auth.now()).await?;
    Ok(Json(Me {
        csrf_token,
        mode: ModeName::from(auth.settings().mode),
        session: MeSession::from(&me.session),
        user: User::from(&me.user),
    }))
}
