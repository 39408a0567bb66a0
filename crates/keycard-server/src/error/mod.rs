//! The HTTP edge of every error: the one place a status code is chosen.
//!
//! Handlers return [`WebError`]: either an [`AuthError`] from the auth service, passed
//! through whole, or a failure of the request itself (unreadable body, unknown route).
//! Its [`IntoResponse`] picks the status, the stable problem `type` and the safe `detail`
//! (RFC 9457, `application/problem+json`, written in [`problem`]), and the headers some
//! answers need: `Retry-After` on 429 and 503, `WWW-Authenticate` on 401. Causes (store,
//! key or task errors) are logged with their source chain here and never reach a client.

pub mod problem;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use keycard_auth::AuthError;
use keycard_auth::limiter::RetryAfter;

pub use problem::{PROBLEM_BASE, PROBLEM_JSON, Problem, problem_for_bare_errors};

/// How long a client is asked to wait after a store did not answer.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 2;

/// An error as the HTTP edge answers it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebError {
    /// What the auth service refused, or why it could not run.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The request is malformed; the detail is safe to show (it describes the request only).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// No route has this path.
    #[error("not found")]
    NotFound,
    /// The route exists, not with this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The body is larger than the configured limit.
    #[error("request body too large")]
    PayloadTooLarge,
    /// The body did not arrive within the body read timeout.
    #[error("request body too slow")]
    RequestTimeout,
    /// The body's content type is not one the route reads.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// A store did not answer the readiness probe; names it without its error text.
    #[error("{what} unavailable")]
    NotReady {
        /// What is unavailable, e.g. "session store".
        what: &'static str,
    },
}

impl From<RetryAfter> for WebError {
    fn from(retry: RetryAfter) -> Self {
        Self::Auth(AuthError::Throttled(retry))
    }
}

impl WebError {
    /// The status code: decided here and nowhere else.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Auth(error) => auth_status(error),
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::NotReady { .. } => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The stable name in the problem `type` URI.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Auth(error) => auth_name(error),
            Self::BadRequest(_) => "bad-request",
            Self::NotFound => "not-found",
            Self::MethodNotAllowed => "method-not-allowed",
            Self::PayloadTooLarge => "payload-too-large",
            Self::RequestTimeout => "request-timeout",
            Self::UnsupportedMediaType => "unsupported-media-type",
            Self::NotReady { .. } => "unavailable",
        }
    }

    /// The seconds a client should wait before trying again, for 429 and 503.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::Auth(AuthError::Throttled(retry)) => Some(retry.secs),
            Self::Auth(AuthError::Busy { retry_after_secs }) => Some(*retry_after_secs),
            Self::Auth(AuthError::Unavailable(_)) | Self::NotReady { .. } => {
                Some(UNAVAILABLE_RETRY_AFTER_SECS)
            }
            _ => None,
        }
    }

    /// The rule a refused field broke, for clients to switch on.
    fn rule(&self) -> Option<&'static str> {
        match self {
            Self::Auth(AuthError::InvalidEmail(rule) | AuthError::WeakPassword(rule)) => Some(rule),
            _ => None,
        }
    }

    /// What the client is told: never a backend's own words.
    fn detail(&self) -> String {
        match self {
            Self::Auth(error) => auth_detail(error),
            Self::BadRequest(detail) => detail.clone(),
            Self::NotFound => "No resource at this path.".into(),
            Self::MethodNotAllowed => "This resource does not accept this method.".into(),
            Self::PayloadTooLarge => "The request body is larger than this server accepts.".into(),
            Self::RequestTimeout => "The request body did not arrive in time.".into(),
            Self::UnsupportedMediaType => "Send the body as application/json.".into(),
            Self::NotReady { what } => format!("The {what} did not answer; try again shortly."),
        }
    }

    /// Logs the failure at its level, with the cause's source chain for server faults.
    fn log(&self) {
        match self {
            Self::Auth(AuthError::Internal(cause)) => {
                tracing::error!(error = %cause, source = ?cause.source(), "request failed");
            }
            Self::Auth(AuthError::Unavailable(cause)) => {
                tracing::warn!(error = %cause, "store unavailable");
            }
            Self::NotReady { what } => tracing::warn!(what, "dependency unavailable"),
            Self::Auth(AuthError::Throttled(retry)) => {
                tracing::info!(limit = ?retry.limit, retry_after = retry.secs, "attempt refused by a limit");
            }
            _ => tracing::debug!(error = %self, "request refused"),
        }
    }
}

fn auth_status(error: &AuthError) -> StatusCode {
    match error {
        AuthError::InvalidCredentials
        | AuthError::InvalidToken(_)
        | AuthError::InvalidClient
        | AuthError::AdminDenied => StatusCode::UNAUTHORIZED,
        AuthError::InvalidEmail(_) | AuthError::WeakPassword(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AuthError::EmailTaken => StatusCode::CONFLICT,
        AuthError::Csrf(_) => StatusCode::FORBIDDEN,
        // Without an admin token the admin routes do not exist.
        AuthError::AdminAbsent | AuthError::NotFound => StatusCode::NOT_FOUND,
        AuthError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
        AuthError::Busy { .. } | AuthError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn auth_name(error: &AuthError) -> &'static str {
    match error {
        AuthError::InvalidCredentials => "invalid-credentials",
        AuthError::InvalidToken(_) | AuthError::AdminDenied => "invalid-token",
        AuthError::InvalidEmail(_) => "invalid-email",
        AuthError::WeakPassword(_) => "invalid-password",
        AuthError::EmailTaken => "email-taken",
        AuthError::Csrf(_) => "csrf",
        AuthError::InvalidClient => "invalid-client",
        AuthError::AdminAbsent | AuthError::NotFound => "not-found",
        AuthError::Throttled(_) => "too-many-requests",
        AuthError::Busy { .. } | AuthError::Unavailable(_) => "unavailable",
        _ => "internal",
    }
}

fn auth_detail(error: &AuthError) -> String {
    match error {
        AuthError::InvalidCredentials => "The email or the password is wrong.".into(),
        AuthError::InvalidToken(_) | AuthError::AdminDenied => {
            "The credential is missing, invalid, expired or revoked.".into()
        }
        AuthError::InvalidClient => {
            "Client authentication failed: send HTTP Basic client_id:client_secret of a client allowed this operation.".into()
        }
        AuthError::Csrf("origin") => {
            "The request's Origin is not this server's; cookie-authenticated requests must be same-origin.".into()
        }
        AuthError::Csrf(_) => {
            "The X-CSRF-Token header is missing or does not match the session.".into()
        }
        AuthError::EmailTaken => "An account with this email exists.".into(),
        AuthError::InvalidEmail(rule) => format!("The email breaks the rule `{rule}`."),
        AuthError::WeakPassword(rule) => format!("The password breaks the rule `{rule}`."),
        AuthError::AdminAbsent | AuthError::NotFound => "No resource at this path.".into(),
        AuthError::Throttled(retry) => {
            format!("Too many attempts; try again in {} seconds.", retry.secs)
        }
        AuthError::Busy { retry_after_secs } => format!(
            "The server is busy checking passwords; try again in {retry_after_secs} seconds."
        ),
        AuthError::Unavailable(_) => {
            "A store the server depends on did not answer; try again shortly.".into()
        }
        _ => "The server failed to handle the request.".into(),
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        self.log();
        let status = self.status();
        let mut response = problem::response(status, self.name(), self.detail(), self.rule());
        let headers = response.headers_mut();
        if let Some(secs) = self.retry_after() {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if status == StatusCode::UNAUTHORIZED {
            let challenge = if matches!(self, Self::Auth(AuthError::InvalidClient)) {
                r#"Basic realm="keycard""#
            } else {
                r#"Bearer error="invalid_token""#
            };
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests;
