//! `POST /v1/users`: create an account. 201 `{id, email}`; 409 if the email has one; 422
//! naming the rule a field breaks.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::client::Client;
use super::dto::account::{NewUser, User};
use super::dto::problems;
use super::dto::revealed;
use crate::error::WebError;
use crate::state::AppState;

/// `POST /v1/users`.
#[utoipa::path(
    post,
    path = "/v1/users",
    operation_id = "createUser",
    tag = "account",
    request_body = NewUser,
    responses(
        (status = 201, description = "The account exists.", body = User),
        (status = 400, response = problems::BadRequest),
        (status = 409, response = problems::Conflict),
        (status = 408, response = problems::RequestTimeout),
        (status = 413, response = problems::PayloadTooLarge),
        (status = 415, response = problems::UnsupportedMediaType),
        (status = 422, response = problems::UnprocessableEntity),
        (status = 429, response = problems::TooManyRequests),
        (status = 500, response = problems::InternalError),
        (status = 503, response = problems::ServiceUnavailable),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    Client(client): Client,
    Json(body): Json<NewUser>,
) -> Result<(StatusCode, Json<User>), WebError> {
    let auth = state.auth();
    let user = auth
        .register(&body.email, revealed(&body.password), &client, auth.now())
        .await?;
    Ok((StatusCode::CREATED, Json(User::from(&user))))
}
