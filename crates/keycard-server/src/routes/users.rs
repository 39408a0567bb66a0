//! `POST /v1/users`: create an account. 201 `{id, email}`; 409 if the email has one; 422
//! naming the rule a field breaks.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use super::client::Client;
use crate::error::WebError;
use crate::state::AppState;

/// The request body. `Debug` leaves the password out.
#[derive(Deserialize)]
pub struct NewUser {
    email: String,
    password: Zeroizing<String>,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// `POST /v1/users`.
pub async fn create(
    State(state): State<AppState>,
    Client(client): Client,
    Json(body): Json<NewUser>,
) -> Result<(StatusCode, Json<Value>), WebError> {
    let auth = state.auth();
    let user = auth
        .register(&body.email, body.password, &client, auth.now())
        .await?;
    let created = json!({ "id": user.id, "email": user.email.as_str() });
    Ok((StatusCode::CREATED, Json(created)))
}
