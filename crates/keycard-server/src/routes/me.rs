//! `GET /v1/me`: who the credential belongs to, and its session.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::extract::Authenticated;
use crate::error::WebError;
use crate::state::AppState;

/// `GET /v1/me`: `{user: {id, email}, session: {id, created_at, expires_at}, mode}`; times
/// are Unix seconds.
pub async fn me(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
) -> Result<Json<Value>, WebError> {
    let auth = state.auth();
    let me = auth.me(who, auth.now()).await?;
    Ok(Json(json!({
        "user": { "id": me.user.id, "email": me.user.email.as_str() },
        "session": {
            "id": me.session.id,
            "created_at": me.session.created_at.as_secs(),
            "expires_at": me.session.expires_at().as_secs(),
        },
        "mode": auth.settings().mode.name(),
    })))
}
