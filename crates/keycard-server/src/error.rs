//! The HTTP edge of every error: the one place a status code is chosen.
//!
//! Handlers return [`WebError`]; its [`IntoResponse`] writes an RFC 9457 problem
//! (`application/problem+json`) whose `type` is a stable URI per kind of failure. Backend
//! errors are logged here and answered with a generic detail: their text (SQL, Redis,
//! file paths) never reaches a client.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The base of every problem `type`; the problem's name follows.
pub const PROBLEM_BASE: &str = "https://keycard.dev/problems/";

/// The media type of problem responses.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An error as the HTTP edge answers it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebError {
    /// The request is malformed; `detail` is safe to show (it describes the request only).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// No route has this path.
    #[error("not found")]
    NotFound,
    /// Login refused: unknown email, wrong password or disabled account, deliberately
    /// indistinguishable.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The request's credential (cookie, bearer or refresh token) is missing, invalid,
    /// expired or revoked; `rule` says which, for the log only.
    #[error("invalid token: {rule}")]
    InvalidToken {
        /// The rule that failed.
        rule: &'static str,
    },
    /// An OAuth client (introspection, revocation) did not authenticate: unknown id, wrong
    /// secret, no credentials, or no client configured.
    #[error("invalid client")]
    InvalidClient,
    /// A cookie-authenticated unsafe request failed the CSRF check; `rule` says which part.
    #[error("CSRF check failed: {rule}")]
    Csrf {
        /// `origin` or `csrf_token`.
        rule: &'static str,
    },
    /// The email already has an account.
    #[error("email taken")]
    EmailTaken,
    /// A field breaks a rule; `rule` names it (e.g. `too_short`), for clients to switch on.
    #[error("invalid {field}: {rule}")]
    Invalid {
        /// `email` or `password`.
        field: &'static str,
        /// The rule that failed.
        rule: &'static str,
    },
    /// The route exists, not with this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The body is larger than the configured limit.
    #[error("request body too large")]
    PayloadTooLarge,
    /// The body's content type is not one the route reads.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// A dependency (a store) did not answer; `what` names it without its error text.
    #[error("{what} unavailable")]
    Unavailable {
        /// What is unavailable, e.g. "session store".
        what: &'static str,
    },
    /// Anything else that went wrong on the server. Logged; the client sees a generic 500.
    #[error("internal error: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl WebError {
    /// An internal error from anything that is an error.
    pub fn internal(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(error.into())
    }

    /// The status code: decided here and nowhere else.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::InvalidCredentials | Self::InvalidToken { .. } => StatusCode::UNAUTHORIZED,
            Self::InvalidClient => StatusCode::UNAUTHORIZED,
            Self::Csrf { .. } => StatusCode::FORBIDDEN,
            Self::EmailTaken => StatusCode::CONFLICT,
            Self::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable name in the problem `type` URI.
    pub fn name(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad-request",
            Self::NotFound => "not-found",
            Self::InvalidCredentials => "invalid-credentials",
            Self::InvalidToken { .. } => "invalid-token",
            Self::InvalidClient => "invalid-client",
            Self::Csrf { .. } => "csrf",
            Self::EmailTaken => "email-taken",
            Self::Invalid { field: "email", .. } => "invalid-email",
            Self::Invalid { .. } => "invalid-password",
            Self::MethodNotAllowed => "method-not-allowed",
            Self::PayloadTooLarge => "payload-too-large",
            Self::UnsupportedMediaType => "unsupported-media-type",
            Self::Unavailable { .. } => "unavailable",
            Self::Internal(_) => "internal",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "Bad request",
            Self::NotFound => "Not found",
            Self::InvalidCredentials => "Invalid credentials",
            Self::InvalidToken { .. } => "Invalid token",
            Self::InvalidClient => "Invalid client",
            Self::Csrf { .. } => "CSRF check failed",
            Self::EmailTaken => "Email taken",
            Self::Invalid { field: "email", .. } => "Invalid email",
            Self::Invalid { .. } => "Invalid password",
            Self::MethodNotAllowed => "Method not allowed",
            Self::PayloadTooLarge => "Request body too large",
            Self::UnsupportedMediaType => "Unsupported media type",
            Self::Unavailable { .. } => "Service unavailable",
            Self::Internal(_) => "Internal server error",
        }
    }

    /// What the client is told: never a backend's own words.
    fn detail(&self) -> String {
        match self {
            Self::BadRequest(detail) => detail.clone(),
            Self::NotFound => "No resource at this path.".into(),
            Self::InvalidCredentials => "The email or the password is wrong.".into(),
            Self::InvalidToken { .. } => {
                "The credential is missing, invalid, expired or revoked.".into()
            }
            Self::InvalidClient => {
                "Client authentication failed: send HTTP Basic client_id:client_secret.".into()
            }
            Self::Csrf { rule: "origin" } => {
                "The request's Origin is not this server's; cookie-authenticated requests must be same-origin.".into()
            }
            Self::Csrf { .. } => "The X-CSRF-Token header is missing or does not match the session.".into(),
            Self::EmailTaken => "An account with this email exists.".into(),
            Self::Invalid { field, rule } => format!("The {field} breaks the rule `{rule}`."),
            Self::MethodNotAllowed => "This resource does not accept this method.".into(),
            Self::PayloadTooLarge => "The request body is larger than this server accepts.".into(),
            Self::UnsupportedMediaType => "Send the body as application/json.".into(),
            Self::Unavailable { what } => {
                format!("The {what} did not answer; try again shortly.")
            }
            Self::Internal(_) => "The server failed to handle the request.".into(),
        }
    }
}

impl From<keycard_core::store::StoreError> for WebError {
    fn from(error: keycard_core::store::StoreError) -> Self {
        Self::internal(error)
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize)]
pub struct Problem {
    /// A URI naming the kind of problem; stable, for clients to switch on.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short human summary of the kind.
    pub title: &'static str,
    /// The HTTP status, repeated.
    pub status: u16,
    /// What happened this time, safe to show.
    pub detail: String,
}

/// A problem about a field, with the rule it broke (`too_short`, ...) for clients to
/// switch on.
#[derive(Debug, Serialize)]
struct RuleProblem {
    #[serde(flatten)]
    problem: Problem,
    rule: &'static str,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match &self {
            Self::Internal(error) => tracing::error!(error = %error, "request failed"),
            Self::Unavailable { what } => tracing::warn!(what, "dependency unavailable"),
            _ => tracing::debug!(error = %self, "request refused"),
        }
        let rule = match &self {
            Self::Invalid { rule, .. } => Some(*rule),
            _ => None,
        };
        let mut response = problem_response(
            self.status(),
            self.name(),
            self.title(),
            self.detail(),
            rule,
        );
        if matches!(self, Self::InvalidToken { .. }) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Bearer error="invalid_token""#),
            );
        }
        if matches!(self, Self::InvalidClient) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Basic realm="keycard""#),
            );
        }
        response
    }
}

fn problem_response(
    status: StatusCode,
    name: &str,
    title: &'static str,
    detail: String,
    rule: Option<&'static str>,
) -> Response {
    let problem = Problem {
        kind: format!("{PROBLEM_BASE}{name}"),
        title,
        status: status.as_u16(),
        detail,
    };
    let mut response = match rule {
        Some(rule) => (status, Json(RuleProblem { problem, rule })).into_response(),
        None => (status, Json(problem)).into_response(),
    };
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    response
}

/// Turns an error response that is not already a problem (axum's own 404, 405, 413, 415
/// and extractor rejections, tower-http's 413) into one, so every error a client sees is
/// `application/problem+json`. The original body is dropped: its text is not ours to vouch
/// for. The status and headers such as `Allow` are kept.
pub async fn problem_for_bare_errors(response: Response) -> Response {
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes() == PROBLEM_JSON.as_bytes());
    if is_problem || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let problem = match status {
        StatusCode::NOT_FOUND => WebError::NotFound.into_response(),
        StatusCode::METHOD_NOT_ALLOWED => WebError::MethodNotAllowed.into_response(),
        StatusCode::PAYLOAD_TOO_LARGE => WebError::PayloadTooLarge.into_response(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => WebError::UnsupportedMediaType.into_response(),
        status if status.is_client_error() => problem_response(
            status,
            "bad-request",
            status.canonical_reason().unwrap_or("Bad request"),
            "The request could not be read.".into(),
            None,
        ),
        _ => {
            tracing::error!(%status, "a layer answered an error without a problem body");
            problem_response(
                status,
                "internal",
                status.canonical_reason().unwrap_or("Server error"),
                "The server failed to handle the request.".into(),
                None,
            )
        }
    };
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    let (problem_parts, body) = problem.into_parts();
    for (name, value) in &problem_parts.headers {
        parts.headers.insert(name, value.clone());
    }
    Response::from_parts(parts, body)
}
